/**
 * The server spans still open at exit (patches/request-spans.ts): requests that close leave the list,
 * in any order, and the exit ends exactly the others, once.
 */
import { expect } from 'chai';
import type { Span } from '@opentelemetry/api';
import type { ServerResponse } from 'http';
import { endOpenServerSpans, forgetOpenServerSpan, trackOpenServerSpan } from '../../../src/patches/request-spans';

function request(name: string, ended: string[]) {
  let recording = true;
  const span = {
    isRecording: () => recording,
    setAttribute: () => span,
    setStatus: () => span,
    updateName: () => span,
    end: () => {
      recording = false;
      ended.push(name);
    },
  } as unknown as Span;
  const response = { headersSent: false, statusCode: 200 } as unknown as ServerResponse;
  trackOpenServerSpan(span, response);
  return response;
}

describe('patches: open server spans', () => {
  it('ends at exit exactly the requests whose response did not close, whatever order the others closed in', () => {
    endOpenServerSpans(); // whatever an earlier test left open
    const ended: string[] = [];
    const responses = Array.from({ length: 8 }, (_, i) => request(`r${i}`, ended));
    for (const i of [0, 7, 3, 4, 1]) forgetOpenServerSpan(responses[i]); // first, last, middle ones
    forgetOpenServerSpan(responses[3]); // closed twice: nothing more happens
    expect(endOpenServerSpans()).to.equal(3);
    expect(ended.sort()).to.deep.equal(['r2', 'r5', 'r6']);
    // Responses that close after the exit ended their spans change nothing, nor do later requests'.
    const later = [0, 1, 2].map((i) => request(`later${i}`, ended));
    for (const i of [2, 5, 6]) forgetOpenServerSpan(responses[i]);
    expect(endOpenServerSpans()).to.equal(3);
    expect(ended.slice(3).sort()).to.deep.equal(['later0', 'later1', 'later2']);
    for (const response of later) forgetOpenServerSpan(response);
    expect(endOpenServerSpans()).to.equal(0);
  });
});
