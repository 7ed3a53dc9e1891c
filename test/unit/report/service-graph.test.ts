import { expect } from 'chai';
import { ServiceGraphBuilder } from '../../../src/report/service-graph';

describe('report service graph', () => {
  it('joins a CLIENT span with the SERVER span it called, client first', () => {
    const graph = new ServiceGraphBuilder();
    graph.addClient({ spanId: 'c1', service: 'web', peer: '10.0.0.2:8080', error: false });
    graph.addServer({ parentSpanId: 'c1', service: 'api', error: false });
    expect(graph.edges()).to.deep.equal([{ from: 'web', to: 'api', calls: 1, errors: 0, uninstrumented: false }]);
    expect(graph.waiting).to.equal(0);
  });

  it('joins them server first (the server file was read before the client file)', () => {
    const graph = new ServiceGraphBuilder();
    graph.addServer({ parentSpanId: 'c1', service: 'api', error: true });
    graph.addServer({ parentSpanId: 'c2', service: 'api', error: false });
    graph.addClient({ spanId: 'c1', service: 'web', peer: 'api-host:80', error: false });
    graph.addClient({ spanId: 'c2', service: 'web', peer: 'api-host:80', error: false });
    expect(graph.edges()).to.deep.equal([{ from: 'web', to: 'api', calls: 2, errors: 1, uninstrumented: false }]);
    expect(graph.waiting).to.equal(0);
  });

  it('a call no server answered goes to its peer, marked uninstrumented, with the client error counted', () => {
    const graph = new ServiceGraphBuilder();
    graph.addClient({ spanId: 'c1', service: 'web', peer: 'payments.example.com:443', error: true });
    graph.addClient({ spanId: 'c2', service: 'web', peer: 'payments.example.com:443', error: false });
    graph.addClient({ spanId: 'c3', service: 'web', peer: 'api', error: false });
    graph.addServer({ parentSpanId: 'c3', service: 'api', error: false });
    expect(graph.edges()).to.deep.equal([
      { from: 'web', to: 'payments.example.com:443', calls: 2, errors: 1, uninstrumented: true },
      { from: 'web', to: 'api', calls: 1, errors: 0, uninstrumented: false },
    ]);
  });

  it('a server whose caller is not in the input (root from outside) makes no edge', () => {
    const graph = new ServiceGraphBuilder();
    graph.addServer({ parentSpanId: 'outside', service: 'api', error: false });
    graph.addServer({ parentSpanId: '', service: 'api', error: false });
    expect(graph.edges()).to.deep.equal([]);
  });

  it('calls the filters left out still pair with their server, uncounted', () => {
    const graph = new ServiceGraphBuilder();
    graph.addServer({ parentSpanId: 'old', service: 'api', error: true });
    graph.addClient({ spanId: 'old', service: 'web', peer: 'api', error: false, counted: false });
    graph.addClient({ spanId: 'old2', service: 'web', peer: 'api', error: false, counted: false });
    graph.addClient({ spanId: 'new', service: 'web', peer: 'api', error: false });
    graph.addServer({ parentSpanId: 'new', service: 'api', error: false });
    expect(graph.edges()).to.deep.equal([{ from: 'web', to: 'api', calls: 1, errors: 0, uninstrumented: false }]);
  });

  it('edges() can be called twice without double counting uninstrumented calls', () => {
    const graph = new ServiceGraphBuilder();
    graph.addClient({ spanId: 'c1', service: 'web', peer: 'db:5432', error: false });
    graph.edges();
    expect(graph.edges()[0].calls).to.equal(1);
  });
});
