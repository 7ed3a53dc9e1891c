/**
 * OTEL_PROPAGATORS / TRACING_PROPAGATORS -> one composite propagator, from upstream's packages.
 * Each package is required only when named (b3 and jaeger are small, but none is loaded for nothing).
 */
import type { TextMapPropagator } from '@opentelemetry/api';
import type { PropagatorName } from '../config/option-parsers';
import { TraceOriginPropagator } from './trace-origin';
import { TraceContextLevel2Propagator } from './w3c-trace-context-propagator';

type Factory = () => TextMapPropagator;

const FACTORIES: Record<Exclude<PropagatorName, 'none'>, Factory> = {
  // Upstream's, with Level 2's whole-header tracestate validation and random flag around it.
  tracecontext: () =>
    new TraceContextLevel2Propagator(new (require('@opentelemetry/core') as typeof import('@opentelemetry/core')).W3CTraceContextPropagator()),
  baggage: () => new (require('@opentelemetry/core') as typeof import('@opentelemetry/core')).W3CBaggagePropagator(),
  b3: () => {
    const { B3Propagator, B3InjectEncoding } = require('@opentelemetry/propagator-b3') as typeof import('@opentelemetry/propagator-b3');
    return new B3Propagator({ injectEncoding: B3InjectEncoding.SINGLE_HEADER });
  },
  b3multi: () => {
    const { B3Propagator, B3InjectEncoding } = require('@opentelemetry/propagator-b3') as typeof import('@opentelemetry/propagator-b3');
    return new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER });
  },
  jaeger: () => new (require('@opentelemetry/propagator-jaeger') as typeof import('@opentelemetry/propagator-jaeger')).JaegerPropagator(),
  xray: () => new (require('@opentelemetry/propagator-aws-xray') as typeof import('@opentelemetry/propagator-aws-xray')).AWSXRayPropagator(),
  ottrace: () => new (require('@opentelemetry/propagator-ot-trace') as typeof import('@opentelemetry/propagator-ot-trace')).OTTracePropagator(),
};

/**
 * The propagator the names ask for; `none` gives one that carries nothing, as the specification says.
 * TraceOriginPropagator records which trace an extraction joined, whichever format carried it
 * (trace-origin.ts: the W3C random flag is set only on traces this process starts).
 */
export function createPropagator(names: readonly PropagatorName[]): TextMapPropagator {
  const { CompositePropagator } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const propagators = names.filter((name): name is Exclude<PropagatorName, 'none'> => name !== 'none').map((name) => FACTORIES[name]());
  return new TraceOriginPropagator(new CompositePropagator({ propagators }));
}
