// A stand-in for worker.py, run with node, for testing the Node side of the protocol without Python: it says hello,
// loads anything, echoes a predict's first tensor back as output-0, and misbehaves on request: an input named
// `hang` is never answered, `crash` exits, `garbage` writes bytes that are not a frame. `--no-sklearn` says hello
// with an error, as a Python without scikit-learn does.

import { encodeFrame, type Frame, FrameDecoder } from '../../../src/runtimes/python/worker-protocol.js';

const send = (header: Record<string, unknown>, body: Uint8Array[] = []) => {
  for (const chunk of encodeFrame(header, body)) process.stdout.write(chunk);
};

if (process.argv.includes('--no-sklearn')) {
  send({
    op: 'hello',
    ok: false,
    error: { code: 'UNSUPPORTED', message: "ModuleNotFoundError: No module named 'sklearn'" },
  });
  process.exit(3);
}
send({
  op: 'hello',
  ok: true,
  protocol: 1,
  pid: process.pid,
  python: 'fake',
  sklearn: '0',
  numpy: '0',
  scipy: '0',
  executable: process.execPath,
});

function handle({ header, body }: Frame): void {
  const id = header.id;
  if (header.op === 'load') {
    send({ id, ok: true, class: 'fake.Echo', methods: ['predict'], n_features_in: null, warnings: [] });
    return;
  }
  const tensors = (header.tensors ?? []) as { name: string; offset: number; length: number }[];
  const first = tensors[0];
  if (first?.name === 'hang') {
    busy = true; // like Python, busy with one request it never finishes: nothing after it is answered
    return;
  }
  if (first?.name === 'crash') {
    process.stderr.write('fake worker: crashing as asked\n');
    process.exit(7);
  }
  if (first?.name === 'garbage') {
    process.stdout.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    return;
  }
  if (first?.name === 'fail') {
    send({ id, ok: false, error: { code: 'INVALID_INPUT', message: 'bad input, as asked' } });
    return;
  }
  const bytes = body.subarray(first!.offset, first!.offset + first!.length);
  send({ id, ok: true, tensors: [{ ...first, name: 'output-0', offset: 0 }] }, [bytes]);
}

let busy = false;
const decoder = new FrameDecoder();
process.stdin.on('data', (chunk: Buffer) => {
  for (const frame of decoder.push(chunk)) if (!busy) handle(frame);
});
process.stdin.on('end', () => process.exit(0));
