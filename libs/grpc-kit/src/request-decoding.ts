import { ServerError, Status } from 'nice-grpc';
import type { TsProtoServiceDefinition } from 'nice-grpc';
import { quote } from '@lth/core';

const UNDECODABLE = Symbol('undecodable request');

interface Undecodable {
  [UNDECODABLE]: string;
}

/**
 * grpc-js answers INTERNAL when a request does not decode, yet every such request is the client's
 * fault: bytes that are not the message, or a uint64 beyond what a JavaScript number holds exactly
 * (ts-proto's longToNumber throws above 2^53 - 1). This definition decodes such a request to a
 * marker instead, which callMiddleware turns into INVALID_ARGUMENT before any handler runs.
 */
export function withCheckedDecoding<D extends TsProtoServiceDefinition>(definition: D): D {
  const methods = Object.fromEntries(
    Object.entries(definition.methods).map(([key, method]) => {
      const decode = method.requestType.decode.bind(method.requestType);
      const checkedDecode = (input: Uint8Array): unknown => {
        try {
          return decode(input);
        } catch (err) {
          return { [UNDECODABLE]: undecodableReason(err) } satisfies Undecodable;
        }
      };
      return [key, { ...method, requestType: { ...method.requestType, decode: checkedDecode } }];
    }),
  );
  return { ...definition, methods };
}

/** INVALID_ARGUMENT for a request that did not decode; nothing for a decoded one. */
export function checkDecoded(request: unknown): void {
  if (typeof request === 'object' && request !== null && UNDECODABLE in request)
    throw new ServerError(Status.INVALID_ARGUMENT, (request as Undecodable)[UNDECODABLE]);
}

function undecodableReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // Seeds are the only 64-bit integers in lth's requests (proto/lth/*/v1/*.proto).
  if (/MAX_SAFE_INTEGER/.test(message)) return 'seed: must be at most 9007199254740991 (2^53 - 1)';
  return `the request is not a valid protobuf message (${quote(message)})`;
}
