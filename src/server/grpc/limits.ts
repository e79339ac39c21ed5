// gRPC limits shared by the replica's flags and the gRPC server, in a module that loads nothing heavy
// (replica-args.ts must not pull @grpc/grpc-js into every replica at start).

/** Above KServe's 8 MiB, which its own users hit first (docs/protocol.md). */
export const DEFAULT_GRPC_MAX_MESSAGE_BYTES = 64 * 1024 * 1024; // 64 MiB
