import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as zmq from 'zeromq';
import { MAX_ECHO_MESSAGE_BYTES, startEchoServer, type EchoServer } from './zmtp-echo';

let echo: EchoServer;
let address: string;

beforeAll(async () => {
  echo = await startEchoServer({ host: '127.0.0.1', port: 0 });
  address = `tcp://127.0.0.1:${echo.port}`;
});

afterAll(() => echo.close());

describe('the ZMTP echo device', () => {
  it('echoes a REQ client, like jupyter_client pinging a heartbeat', async () => {
    const req = new zmq.Request();
    req.linger = 0;
    req.receiveTimeout = 5_000;
    req.connect(address);
    try {
      for (const payload of ['ping', '', 'x'.repeat(300), 'é'.repeat(10)]) {
        await req.send(payload);
        const [reply] = await req.receive();
        expect(reply!.toString()).toBe(payload);
      }
    } finally {
      req.close();
    }
  });

  it('echoes multipart messages of a DEALER, several in flight', async () => {
    const dealer = new zmq.Dealer();
    dealer.linger = 0;
    dealer.receiveTimeout = 5_000;
    dealer.connect(address);
    try {
      await dealer.send(['a', 'b', Buffer.alloc(1000, 7)]);
      await dealer.send(['c']);
      const first = await dealer.receive();
      expect(first.map((f) => f.length)).toEqual([1, 1, 1000]);
      expect((await dealer.receive())[0]!.toString()).toBe('c');
    } finally {
      dealer.close();
    }
  });

  it('ends connections that are not ZMTP or send too much, and keeps serving others', async () => {
    const garbage = net.connect(echo.port!, '127.0.0.1');
    const closed = new Promise((resolve) => garbage.on('close', resolve));
    garbage.on('error', () => {});
    garbage.resume(); // read our greeting, so that the end of the connection is seen
    garbage.write('GET / HTTP/1.1\r\n\r\n');
    await closed;

    const big = new zmq.Dealer();
    big.linger = 0;
    big.receiveTimeout = 1_000;
    big.connect(address);
    await big.send(Buffer.alloc(MAX_ECHO_MESSAGE_BYTES + 1));
    await expect(big.receive()).rejects.toThrow();
    big.close();

    const req = new zmq.Request();
    req.linger = 0;
    req.receiveTimeout = 5_000;
    req.connect(address);
    await req.send('still here');
    expect((await req.receive())[0]!.toString()).toBe('still here');
    req.close();
  });
});
