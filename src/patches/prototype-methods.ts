/**
 * Wrapping methods of a prototype (http.ServerResponse.prototype) so that unwrapping is safe when
 * other tools wrap the same methods: install is idempotent, and uninstall restores the original only
 * where our wrapper is still on top (a later tool's wrapper stays, and ours under it keeps the
 * original in use, passing through once the patch is switched off). An inherited method (write, end
 * come from OutgoingMessage) is restored by deleting our own property, so the prototype is as it was.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- wrappers forward any arguments unchanged
export type AnyMethod = (this: any, ...args: any[]) => any;

interface Installed {
  original: AnyMethod;
  /** Whether the prototype had its own property or inherited it. */
  hadOwn: boolean;
}

export class PrototypeMethods<K extends string> {
  private readonly _installed = new Map<K, Installed>();

  /** `prototype` is read at each install/uninstall (a getter, so tests and unpatch see the current object). */
  constructor(
    private readonly _prototype: () => object,
    private readonly _wrappers: Readonly<Record<K, AnyMethod>>,
  ) {}

  private _target(): Record<K, AnyMethod> {
    return this._prototype() as Record<K, AnyMethod>;
  }

  /** Wraps every method not wrapped yet; `useOriginal` receives each original the wrapper must call. Throws if one is missing. */
  install(useOriginal: (method: K, original: AnyMethod) => void): void {
    const proto = this._target();
    const methods = Object.keys(this._wrappers) as K[];
    const missing = methods.filter((method) => !this._installed.has(method) && typeof proto[method] !== 'function');
    if (missing.length > 0) throw new Error(`no ${missing.join(', ')} to wrap`);
    for (const method of methods) {
      if (this._installed.has(method)) continue; // idempotent; a wrapper left under another tool's stays in use
      this._installed.set(method, { original: proto[method], hadOwn: Object.prototype.hasOwnProperty.call(proto, method) });
      useOriginal(method, proto[method]);
      proto[method] = this._wrappers[method];
    }
  }

  uninstall(): void {
    const proto = this._target();
    for (const [method, { original, hadOwn }] of this._installed) {
      if (proto[method] !== this._wrappers[method]) continue;
      if (hadOwn) proto[method] = original;
      else delete (proto as Partial<Record<K, AnyMethod>>)[method];
      this._installed.delete(method);
    }
  }
}
