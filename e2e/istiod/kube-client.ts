// A small Kubernetes REST client for the istiod story: bearer-token HTTPS to the kube-apiserver, the
// kind → resource mapping from API discovery, and server-side apply (so the same call creates and updates).
import { request } from 'node:https';

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

export interface KubeResponse {
  readonly status: number;
  readonly body: string;
}

interface ApiResource {
  readonly name: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

const FIELD_MANAGER = 'weft-e2e';

export class KubeClient {
  private readonly resources = new Map<string, readonly ApiResource[]>();

  constructor(
    readonly server: string,
    private readonly token: string,
    private readonly ca: string,
  ) {}

  request(method: string, path: string, body?: string, contentType = 'application/json', timeoutMs = 30_000): Promise<KubeResponse> {
    const url = new URL(path, this.server);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca: this.ca,
          agent: false,
          timeout: timeoutMs,
          headers: { authorization: `Bearer ${this.token}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': contentType, 'content-length': Buffer.byteLength(body) } : {}) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  async getJson(path: string): Promise<{ status: number; json: unknown }> {
    const r = await this.request('GET', path);
    return { status: r.status, json: r.body ? JSON.parse(r.body) : undefined };
  }

  /** The collection path prefix of an apiVersion (`/api/v1`, `/apis/networking.istio.io/v1`). */
  static groupPath(apiVersion: string): string {
    return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  }

  /** The resource of a kind, from discovery; discovery is read again on a miss (a CRD may just have been established). */
  async resourceFor(apiVersion: string, kind: string): Promise<ApiResource> {
    for (const fresh of [false, true]) {
      let list = fresh ? undefined : this.resources.get(apiVersion);
      if (!list) {
        const r = await this.getJson(KubeClient.groupPath(apiVersion));
        if (r.status !== 200) throw new Error(`discovery of ${apiVersion}: HTTP ${r.status}`);
        list = ((r.json as { resources: ApiResource[] }).resources ?? []).filter((x) => !x.name.includes('/'));
        this.resources.set(apiVersion, list);
      }
      const found = list.find((x) => x.kind === kind);
      if (found) return found;
    }
    throw new Error(`the apiserver serves no ${kind} in ${apiVersion}`);
  }

  async objectPath(obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): Promise<string> {
    const res = await this.resourceFor(obj.apiVersion, obj.kind);
    const ns = res.namespaced ? `/namespaces/${obj.metadata.namespace ?? 'default'}` : '';
    return `${KubeClient.groupPath(obj.apiVersion)}${ns}/${res.name}/${obj.metadata.name}`;
  }

  /** Server-side apply: creates the object or updates the fields this client owns. Throws with the apiserver's reason. */
  async apply(obj: KubeObject): Promise<KubeObject> {
    const path = `${await this.objectPath(obj)}?fieldManager=${FIELD_MANAGER}&force=true`;
    // JSON is YAML, so the apply-patch+yaml content type takes the object as it is.
    const r = await this.request('PATCH', path, JSON.stringify(obj), 'application/apply-patch+yaml');
    if (r.status !== 200 && r.status !== 201) throw new Error(`apply ${obj.kind} ${obj.metadata.namespace ?? ''}/${obj.metadata.name}: HTTP ${r.status} ${r.body.slice(0, 2000)}`);
    return JSON.parse(r.body) as KubeObject;
  }

  async get(obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): Promise<KubeObject | undefined> {
    const r = await this.getJson(await this.objectPath(obj));
    return r.status === 200 ? (r.json as KubeObject) : undefined;
  }
}
