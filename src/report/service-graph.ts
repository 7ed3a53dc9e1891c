/**
 * Service dependency edges from CLIENT spans and the SERVER spans that answered them.
 *
 * The answering SERVER span lives in another process, often in another file read earlier or
 * later, so the join works in either order: whichever side arrives first waits in a map keyed by
 * the client's span id. A waiting entry is one packed number (interned ids and flags), not an
 * object: uninstrumented calls wait until the end of the input.
 */
import type { ServiceEdge } from './model';

/** Services and peers become small integers; a report sees tens of them, not millions. */
class Interner {
  private readonly _ids = new Map<string, number>();
  private readonly _names: string[] = [];
  id(name: string): number {
    let id = this._ids.get(name);
    if (id === undefined) {
      id = this._names.length;
      this._ids.set(name, id);
      this._names.push(name);
    }
    return id;
  }
  name(id: number): string {
    return this._names[id];
  }
}

// Packing: ((from * 2^21 + peer) * 4) + error * 2 + counted stays below 2^53 for 2^21 names each.
const NAME_SLOTS = 2 ** 21;

export interface ClientCall {
  spanId: string;
  service: string;
  /** Where the call went when no server span answers: peer.service, else server.address:port. */
  peer: string;
  error: boolean;
  /** False when the filters leave this call out: it still pairs with its server span, uncounted. */
  counted?: boolean;
}

export interface ServerAnswer {
  /** The calling CLIENT span's id. */
  parentSpanId: string;
  service: string;
  error: boolean;
}

export class ServiceGraphBuilder {
  private readonly _names = new Interner();
  private readonly _waitingClients = new Map<string, number>();
  private readonly _waitingServers = new Map<string, number>();
  private readonly _edges = new Map<string, ServiceEdge>();

  addClient(call: ClientCall): void {
    const server = this._waitingServers.get(call.spanId);
    if (server !== undefined) {
      this._waitingServers.delete(call.spanId);
      if (call.counted !== false) this._count(call.service, this._names.name(Math.floor(server / 2)), call.error || server % 2 === 1, false);
      return;
    }
    const packed = (this._names.id(call.service) * NAME_SLOTS + this._names.id(call.peer)) * 4 + (call.error ? 2 : 0) + (call.counted === false ? 0 : 1);
    this._waitingClients.set(call.spanId, packed);
  }

  addServer(answer: ServerAnswer): void {
    if (answer.parentSpanId === '') return;
    const client = this._waitingClients.get(answer.parentSpanId);
    if (client === undefined) {
      this._waitingServers.set(answer.parentSpanId, this._names.id(answer.service) * 2 + (answer.error ? 1 : 0));
      return;
    }
    this._waitingClients.delete(answer.parentSpanId);
    const { from, error, counted } = unpackClient(client);
    if (counted) this._count(this._names.name(from), answer.service, error || answer.error, false);
  }

  /** How many joins are waiting: what the graph holds in memory beyond its edges. */
  get waiting(): number {
    return this._waitingClients.size + this._waitingServers.size;
  }

  /**
   * The edges: clients nobody answered become edges to their peer, marked uninstrumented.
   * Servers still waiting had a caller outside the input (or uninstrumented): no edge.
   */
  edges(): ServiceEdge[] {
    const edges = new Map(Array.from(this._edges, ([key, edge]) => [key, { ...edge }]));
    for (const packed of this._waitingClients.values()) {
      const { from, peer, error, counted } = unpackClient(packed);
      if (counted) countEdge(edges, this._names.name(from), this._names.name(peer), error, true);
    }
    return Array.from(edges.values()).sort((a, b) => b.calls - a.calls || a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
  }

  private _count(from: string, to: string, error: boolean, uninstrumented: boolean): void {
    countEdge(this._edges, from, to, error, uninstrumented);
  }
}

function unpackClient(packed: number): { from: number; peer: number; error: boolean; counted: boolean } {
  const ids = Math.floor(packed / 4);
  return { from: Math.floor(ids / NAME_SLOTS), peer: ids % NAME_SLOTS, error: (packed & 2) !== 0, counted: (packed & 1) !== 0 };
}

function countEdge(edges: Map<string, ServiceEdge>, from: string, to: string, error: boolean, uninstrumented: boolean): void {
  const key = `${uninstrumented ? 'u' : 's'}\u0000${from}\u0000${to}`;
  let edge = edges.get(key);
  if (edge === undefined) {
    edge = { from, to, calls: 0, errors: 0, uninstrumented };
    edges.set(key, edge);
  }
  edge.calls++;
  if (error) edge.errors++;
}
