import type { TsProtoServiceDefinition } from 'nice-grpc';

const WIRE_BYTES = Symbol('wire bytes');
const ON_ENCODED = Symbol('on encoded');

/** A response that carries its own protobuf encoding, built by the handler. */
export type PreEncoded<T> = T & { readonly [WIRE_BYTES]: Buffer; readonly [ON_ENCODED]?: () => void };

/**
 * Marks `message` as already encoded as `wire`. The message must be what `wire` decodes to (its
 * byte fields may be views into `wire`): a server without withPreEncodedResponses encodes it as
 * usual and sends the same bytes.
 *
 * `onEncoded`, if given, is called once the server no longer reads `wire` or the message, so its
 * memory can hold the next message. grpc-js copies a serialized response into its own frame in
 * the same synchronous call that serializes it (`serializeMessage` in grpc-js's
 * server-interceptors.ts: `messageBuffer.copy(output, 5)`), so `onEncoded` runs as the microtask
 * after encoding. A server without withPreEncodedResponses never calls it: the memory is not
 * reused, which is safe.
 */
export function preEncoded<T extends object>(message: T, wire: Buffer, onEncoded?: () => void): PreEncoded<T> {
  return Object.assign(message, { [WIRE_BYTES]: wire, [ON_ENCODED]: onEncoded });
}

/** The protobuf encoding a pre-encoded message carries; undefined for any other message. */
export function wireOf(message: object): Buffer | undefined {
  return WIRE_BYTES in message ? (message as PreEncoded<object>)[WIRE_BYTES] : undefined;
}

/**
 * Sends pre-encoded responses as they are. A batch of images is gathered straight into its wire
 * form by the data service; ts-proto would copy it twice more (into its writer's chunks, then into
 * one buffer) before grpc-js copies it into its frame.
 */
export function withPreEncodedResponses<D extends TsProtoServiceDefinition>(definition: D): D {
  const methods = Object.fromEntries(
    Object.entries(definition.methods).map(([key, method]) => {
      const type = method.responseType;
      const encode = type.encode.bind(type);
      const fromPartial = type.fromPartial?.bind(type);
      const responseType = {
        ...type,
        encode: (message: object) => {
          const wire = wireOf(message);
          if (!wire) return encode(message);
          const onEncoded = (message as PreEncoded<object>)[ON_ENCODED];
          if (onEncoded) queueMicrotask(onEncoded);
          return { finish: () => wire };
        },
        ...(fromPartial && {
          fromPartial: (message: object) => (WIRE_BYTES in message ? message : fromPartial(message)),
        }),
      };
      return [key, { ...method, responseType }];
    }),
  );
  return { ...definition, methods };
}
