import type { Socket } from 'node:net';

/** Reads until `count` bytes arrived or the socket closed; the socket stays open. */
export function readBytes(socket: Socket, count: number): Promise<Buffer> {
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= count) done();
    };
    const done = () => {
      socket.off('data', onData);
      resolve(got);
    };
    socket.on('data', onData);
    socket.once('close', done);
  });
}
