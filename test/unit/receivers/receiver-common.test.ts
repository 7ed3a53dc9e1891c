import { expect } from 'chai';
import { startJaegerHttpReceiver, startJaegerUdpReceiver, startOtlpGrpcReceiver, startOtlpHttpReceiver, type Receiver } from '../../helpers/receivers';

const starters = {
  'otlp-grpc': startOtlpGrpcReceiver,
  'otlp-http': startOtlpHttpReceiver,
  'jaeger-udp': startJaegerUdpReceiver,
  'jaeger-http': startJaegerHttpReceiver,
};

describe('receivers: common behaviour', function () {
  this.timeout(5000);

  for (const [protocol, start] of Object.entries(starters)) {
    describe(protocol, () => {
      let receiver: Receiver;
      beforeEach(async () => {
        receiver = await start();
      });
      afterEach(() => receiver.close());

      it('waitForSpans times out with a message naming the protocol, the wait and what arrived', async () => {
        const t0 = Date.now();
        const err = await receiver.waitForSpans(2, 150).then(
          () => expect.fail('should have timed out'),
          (e: Error) => e,
        );
        expect(Date.now() - t0).to.be.within(100, 1000);
        expect(err.message).to.include(`${protocol} receiver`);
        expect(err.message).to.include('150 ms');
        expect(err.message).to.include('2 span(s)');
        expect(err.message).to.include('received 0 span(s)');
      });

      it('waitForSpans with a predicate is rejected when the receiver closes', async () => {
        const waiting = receiver.waitForSpans((s) => s.some((x) => x.name === 'never'), 10_000);
        await receiver.close();
        const err = await waiting.then(
          () => expect.fail('should have been rejected'),
          (e: Error) => e,
        );
        expect(err.message).to.match(/closed/);
      });

      it('can bind a fixed port', async () => {
        const port = receiver.port;
        await receiver.close();
        receiver = await start({ port });
        expect(receiver.port).to.equal(port);
      });

      it('rejects unknown behaviours', () => {
        expect(() => receiver.setBehaviour('nope' as 'ok')).to.throw(TypeError);
        expect(() => receiver.setBehaviour({ slowMs: -1 })).to.throw(TypeError);
      });
    });
  }
});
