// Original file: packages/api/proto/mixer/v1/report.proto


export interface ReportResponse {
}

export interface ReportResponse__Output {
}
