/**
 * Our route helpers give upstream instrumentation-express's results (its utils.js is the witness):
 * the same layer paths, constructed routes and http.route for every shape the route store sees.
 */
import { expect } from 'chai';
import { constructedRouteOf, layerPathOf, matchedRouteOf } from '../../../../src/instrumentations/express/route-store';

const upstream = require('@opentelemetry/instrumentation-express/build/src/utils') as {
  getLayerPath(args: unknown[]): string | undefined;
  getConstructedRoute(req: object): string;
  getActualMatchedRoute(req: object): string | undefined;
};

const REGISTRATIONS: unknown[][] = [
  ['/users/:id', () => {}],
  [() => {}],
  [['/a', '/b/:c'], () => {}],
  [[/^\/x$/, '/y', 3], () => {}],
  [/^\/regexp\/(\d+)$/],
  [42],
  [{ not: 'a path' }],
  [],
];

const STORES: { paths: string[]; originalUrl: string }[] = [
  { paths: [], originalUrl: '/' },
  { paths: ['/'], originalUrl: '/' },
  { paths: ['/', '/'], originalUrl: '/nope' },
  { paths: ['/', '/users/:id'], originalUrl: '/users/42' },
  { paths: ['/api', '/items/:itemId'], originalUrl: '/api/items/9?x=1' },
  { paths: ['/api', '/deep', '/:leaf'], originalUrl: '/api/deep/leafy' },
  { paths: ['/api/', '/items'], originalUrl: '/api/items' },
  { paths: ['/', '/array-one,/array-two/:n'], originalUrl: '/array-one' },
  { paths: ['/', '/^\\/regexp\\/(\\d+)$/'], originalUrl: '/regexp/1' },
  { paths: ['*'], originalUrl: '/anything' },
  { paths: ['/', '/*'], originalUrl: '/anything' },
  { paths: ['/files/{*splat}'], originalUrl: '/files/a/b' },
  { paths: ['/files', '/{*splat}'], originalUrl: '/files/a/b' },
  { paths: ['/sub', '/hello'], originalUrl: '/sub/hello' },
  { paths: ['/sub', '/hello'], originalUrl: '/other' },
  { paths: ['sub', 'hello'], originalUrl: '/subhello' },
  { paths: ['/opt[ional]'], originalUrl: '/opt' },
];

describe('express route store helpers vs upstream instrumentation-express utils', () => {
  for (const args of REGISTRATIONS) {
    it(`layer path of ${JSON.stringify(args, (key, value) => (value instanceof RegExp ? String(value) : typeof value === 'function' ? 'fn' : value))}`, () => {
      expect(layerPathOf(args)).to.equal(upstream.getLayerPath(args));
    });
  }
  for (const { paths, originalUrl } of STORES) {
    it(`route of ${JSON.stringify(paths)} for ${originalUrl}`, () => {
      const request = { __ot_middlewares: paths, originalUrl };
      const constructed = constructedRouteOf(paths);
      expect(constructed).to.equal(upstream.getConstructedRoute(request));
      expect(matchedRouteOf(paths, constructed, originalUrl)).to.equal(upstream.getActualMatchedRoute(request));
    });
  }
});
