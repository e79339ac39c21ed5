// A V2 gRPC client generated at runtime from the proto that ships with inferd, as any @grpc/grpc-js user
// would write one: promise wrappers around the unary calls, closed after the test.

import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { repoRoot } from '../helpers/paths.js';

export const PROTO_FILE = join(repoRoot, 'src', 'server', 'grpc', 'grpc_predict_v2.proto');

const METHODS = [
  'ServerLive',
  'ServerReady',
  'ModelReady',
  'ServerMetadata',
  'ModelMetadata',
  'ModelInfer',
  'RepositoryModelLoad',
  'RepositoryModelUnload',
] as const;

// biome-ignore lint/suspicious/noExplicitAny: responses are plain objects shaped by the proto
type Call = (req: Record<string, unknown>, metadata?: grpc.Metadata) => Promise<Record<string, any>>;

export type InferenceClient = Record<(typeof METHODS)[number], Call> & { raw: grpc.Client; close(): void };

/** A client for `inference.GRPCInferenceService` at `target` (`127.0.0.1:port`). */
export function inferenceClient(
  target: string,
  options: grpc.ClientOptions = {},
  credentials = grpc.credentials.createInsecure(),
): InferenceClient {
  const def = protoLoader.loadSync(PROTO_FILE, {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    inference: {
      GRPCInferenceService: new (t: string, c: grpc.ChannelCredentials, o: grpc.ClientOptions) => grpc.Client;
    };
  };
  const client = new pkg.inference.GRPCInferenceService(target, credentials, {
    'grpc.max_receive_message_length': 256 * 1024 * 1024,
    'grpc.max_send_message_length': 256 * 1024 * 1024,
    ...options,
  });
  const out = { raw: client, close: () => client.close() } as InferenceClient;
  for (const m of METHODS) {
    out[m] = (req, metadata = new grpc.Metadata()) =>
      new Promise((resolve, reject) => {
        const deadline = Date.now() + 30_000;
        (client as unknown as Record<string, (...args: unknown[]) => void>)[m]!.call(
          client,
          req,
          metadata,
          { deadline },
          (err: grpc.ServiceError | null, res: Record<string, unknown>) => (err ? reject(err) : resolve(res)),
        );
      });
  }
  return out;
}
