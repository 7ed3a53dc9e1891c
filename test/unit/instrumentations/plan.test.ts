/** What is constructed at start and what waits for its module (the lazy loader's input). */
import { expect } from 'chai';
import { planInstrumentations } from '../../../src/instrumentations/plan';
import { defaultInstrumentations } from '../../../src/config/option-parsers';

describe('instrumentation plan', () => {
  it('the defaults: only http, express and undici at start; everything else by module name; aws-lambda skipped outside Lambda', () => {
    const plan = planInstrumentations(defaultInstrumentations(), {});
    expect(plan.eager).to.deep.equal(['http', 'express', 'undici']);
    expect(plan.skipped).to.deep.equal(['aws-lambda']);
    expect(plan.lazy.get('pg')).to.deep.equal(['pg', 'pg-pool']);
    expect(plan.lazy.get('ioredis')).to.deep.equal(['ioredis']);
    expect([...plan.lazy.keys()]).to.have.length(defaultInstrumentations().length - 4);
  });

  it('aws-lambda is constructed at start inside Lambda (its target is the handler file, not a module name)', () => {
    const plan = planInstrumentations(['http', 'aws-lambda'], { LAMBDA_TASK_ROOT: '/var/task', _HANDLER: 'index.handler' });
    expect(plan.eager).to.deep.equal(['http', 'aws-lambda']);
    expect(plan.skipped).to.deep.equal([]);
  });

  it('a name the table does not know (a newer catalogue) is constructed at start: correct, just not lazy', () => {
    expect(planInstrumentations(['some-new-lib'], {}).eager).to.deep.equal(['some-new-lib']);
  });
});
