import type { TsProtoServiceDefinition } from 'nice-grpc';

const WIRE_BYTES = Symbol('wire bytes');

/** A response that carries its own protobuf encoding, built by the handler. */
export type PreEncoded<T> = T & { readonly [WIRE_BYTES]: Buffer };

/**
 * Marks `message` as already encoded as `wire`. The message must be what `wire` decodes to (its
 * byte fields may be views into `wire`): a server without withPreEncodedResponses encodes it as
 * usual and sends the same bytes.
 */
export function preEncoded<T extends object>(message: T, wire: Buffer): PreEncoded<T> {
  return Object.assign(message, { [WIRE_BYTES]: wire });
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
          return wire ? { finish: () => wire } : encode(message);
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
