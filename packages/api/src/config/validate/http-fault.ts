// HTTP fault injection. Istio 1.x implements fixed delays and HTTP-status aborts only; Envoy's fault
// filter accepts abort statuses in [200, 600), so anything else would be NACKed by the proxy.
import type { HTTPFaultAbort, HTTPFaultDelay, HTTPFaultInjection } from '../types/virtual-service.js';
import type { Ctx } from './context.js';
import { checkDuration } from './duration.js';
import { checkIntPercent, checkPercentage } from './percent.js';

export function checkFault(fault: HTTPFaultInjection, ctx: Ctx): void {
  if (fault.abort === undefined && fault.delay === undefined) ctx.error('fault injection needs an abort, a delay, or both');
  if (fault.abort !== undefined) checkAbort(fault.abort, ctx.at('abort'));
  if (fault.delay !== undefined) checkDelay(fault.delay, ctx.at('delay'));
}

function checkPercents(p: { percent?: number; percentage?: { value?: number } }, ctx: Ctx): void {
  checkIntPercent(p.percent, ctx.at('percent'));
  checkPercentage(p.percentage, ctx.at('percentage'));
  if (p.percent !== undefined && p.percentage !== undefined) ctx.at('percent').warn('percent is ignored because percentage is set');
}

function checkAbort(abort: HTTPFaultAbort, ctx: Ctx): void {
  checkPercents(abort, ctx);
  if (abort.grpcStatus !== undefined) ctx.at('grpcStatus').error('gRPC abort fault injection is not supported');
  if (abort.http2Error !== undefined) ctx.at('http2Error').error('HTTP/2 abort fault injection is not supported');
  if (abort.httpStatus === undefined) {
    if (abort.grpcStatus === undefined && abort.http2Error === undefined) ctx.at('httpStatus').error('abort requires httpStatus');
  } else if (abort.httpStatus < 200 || abort.httpStatus > 599) {
    ctx.at('httpStatus').error(`HTTP status ${abort.httpStatus} must be in the range 200..599`);
  }
}

function checkDelay(delay: HTTPFaultDelay, ctx: Ctx): void {
  checkPercents(delay, ctx);
  if (delay.exponentialDelay !== undefined) ctx.at('exponentialDelay').error('exponentialDelay is not supported; use fixedDelay');
  if (delay.fixedDelay === undefined) {
    if (delay.exponentialDelay === undefined) ctx.at('fixedDelay').error('delay requires fixedDelay');
  } else {
    checkDuration(delay.fixedDelay, ctx.at('fixedDelay'));
  }
}
