/**
 * Several instrumentations that the agent loads, enables and disables as one catalogue entry.
 *
 * Why: `http` is two pieces now, our SERVER instrumentation and upstream's instrumentation-http for
 * outgoing requests (`disableIncomingRequestInstrumentation: true`), while the catalogue, the
 * registration and the ESM include list (catalog.ts `esmModuleNames`) deal in one Instrumentation
 * per name. Each call is forwarded to every member, in order.
 */
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { Instrumentation, InstrumentationConfig } from '@opentelemetry/instrumentation';

type WithModuleDefinitions = Instrumentation & { getModuleDefinitions?: () => { name: string }[] };

export class InstrumentationGroup implements Instrumentation {
  readonly instrumentationName: string;
  readonly instrumentationVersion: string;
  private readonly _members: readonly WithModuleDefinitions[];

  constructor(members: readonly Instrumentation[]) {
    if (members.length === 0) throw new Error('an instrumentation group needs members');
    this._members = members;
    this.instrumentationName = members[0].instrumentationName;
    this.instrumentationVersion = members[0].instrumentationVersion;
  }

  get members(): readonly Instrumentation[] {
    return this._members;
  }

  enable(): void {
    for (const member of this._members) member.enable();
  }

  disable(): void {
    for (const member of this._members) member.disable();
  }

  setTracerProvider(tracerProvider: TracerProvider): void {
    for (const member of this._members) member.setTracerProvider(tracerProvider);
  }

  setMeterProvider(meterProvider: MeterProvider): void {
    for (const member of this._members) member.setMeterProvider(meterProvider);
  }

  /** The first member's config; a group is configured through its members' constructors. */
  getConfig(): InstrumentationConfig {
    return this._members[0].getConfig();
  }

  /** `enabled` only: each member keeps the rest of its own config. */
  setConfig(config: InstrumentationConfig): void {
    for (const member of this._members) member.setConfig({ ...member.getConfig(), ...(config.enabled !== undefined && { enabled: config.enabled }) });
  }

  getModuleDefinitions(): { name: string }[] {
    return this._members.flatMap((member) => member.getModuleDefinitions?.() ?? []);
  }
}
