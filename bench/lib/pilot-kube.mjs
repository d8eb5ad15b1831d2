// A small Kubernetes REST client for the Pilot benchmark's istiod (the e2e harness's
// e2e/istiod/kube-client.ts in plain JS): bearer-token HTTPS to the kube-apiserver, the kind →
// resource mapping from API discovery, and server-side apply, so the same call creates and updates.
import { request } from 'node:https';

const FIELD_MANAGER = 'weft-bench';

export class KubeClient {
  /** @param {string} server @param {string} token @param {string} ca PEM of the apiserver's certificate */
  constructor(server, token, ca) {
    this.server = server;
    this.token = token;
    this.ca = ca;
    /** @type {Map<string, { name: string, kind: string, namespaced: boolean }[]>} */
    this.resources = new Map();
  }

  /** @returns {Promise<{ status: number, body: string }>} */
  request(method, path, body, contentType = 'application/json', timeoutMs = 30_000) {
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
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  static groupPath(apiVersion) {
    return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  }

  /** The resource of a kind, from discovery; read again on a miss (a CRD may just have been established). */
  async resourceFor(apiVersion, kind) {
    for (const fresh of [false, true]) {
      let list = fresh ? undefined : this.resources.get(apiVersion);
      if (!list) {
        const r = await this.request('GET', KubeClient.groupPath(apiVersion));
        if (r.status !== 200) throw new Error(`discovery of ${apiVersion}: HTTP ${r.status}`);
        list = (JSON.parse(r.body).resources ?? []).filter((x) => !x.name.includes('/'));
        this.resources.set(apiVersion, list);
      }
      const found = list.find((x) => x.kind === kind);
      if (found) return found;
    }
    throw new Error(`the apiserver serves no ${kind} in ${apiVersion}`);
  }

  async objectPath(obj) {
    const res = await this.resourceFor(obj.apiVersion, obj.kind);
    const ns = res.namespaced ? `/namespaces/${obj.metadata.namespace ?? 'default'}` : '';
    return `${KubeClient.groupPath(obj.apiVersion)}${ns}/${res.name}/${obj.metadata.name}`;
  }

  /** Server-side apply (JSON is YAML, so apply-patch+yaml takes the object as it is). Throws with the apiserver's reason. */
  async apply(obj) {
    const path = `${await this.objectPath(obj)}?fieldManager=${FIELD_MANAGER}&force=true`;
    const r = await this.request('PATCH', path, JSON.stringify(obj), 'application/apply-patch+yaml');
    if (r.status !== 200 && r.status !== 201) throw new Error(`apply ${obj.kind} ${obj.metadata.namespace ?? ''}/${obj.metadata.name}: HTTP ${r.status} ${r.body.slice(0, 2000)}`);
    return JSON.parse(r.body);
  }

  async get(obj) {
    const r = await this.request('GET', await this.objectPath(obj));
    return r.status === 200 ? JSON.parse(r.body) : undefined;
  }

  /** Applies every object, `concurrency` requests at a time. */
  async applyAll(objects, concurrency = 8) {
    let next = 0;
    const worker = async () => {
      while (next < objects.length) await this.apply(objects[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, objects.length) }, worker));
  }
}
