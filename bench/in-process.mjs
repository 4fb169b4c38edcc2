// The hot path's clients in one process, with no socket and no gateway, for bench/hotpath.mjs
// (CPU) and bench/alloc.mjs (bytes): `inProcessClient(kind, onAck)` → `{ dispatch(frame), stop }`,
// where a frame is the text or the Buffer a socket would deliver and `onAck` is called per ack.
// kinds: ours-async, ours-chatbot, ours-sync (our client on a fake socket, the handlers of
// bench/clients/ours-*.mjs), official (dingtalk-stream, acked by hand), raw (JSON.parse + ack).

export async function inProcessClient(kind, onAck, sink = { chars: 0 }) {
  if (kind.startsWith('ours')) {
    const { DingTalkStreamClient, TOPIC_ROBOT } = await import('dingtalk-stream-universal');
    let socket;
    class FakeSocket {
      readyState = 0;
      listeners = { open: [], message: [], close: [], error: [] };
      constructor() {
        socket = this;
        queueMicrotask(() => {
          this.readyState = 1;
          for (const l of this.listeners.open) l({ type: 'open' });
        });
      }
      addEventListener(t, l) {
        this.listeners[t].push(l);
      }
      removeEventListener(t, l) {
        this.listeners[t] = this.listeners[t].filter((x) => x !== l);
      }
      send() {
        onAck();
      }
      close() {}
    }
    const fetch = async () => new Response(JSON.stringify({ endpoint: 'ws://127.0.0.1:1/connect', ticket: 't-123456' }), { status: 200 });
    const client = new DingTalkStreamClient({ clientId: 'id', clientSecret: 'secret-123', openApiHost: 'http://127.0.0.1:1', logLevel: 'silent', platform: { WebSocket: FakeSocket, fetch } });
    // the same handlers as bench/clients/ours-*.mjs
    if (kind === 'ours-chatbot') {
      const { registerChatbotHandler } = await import('dingtalk-stream-universal/chatbot');
      registerChatbotHandler(client, async (message) => {
        sink.chars += message.text.length;
      });
    } else if (kind === 'ours-sync') {
      client.registerCallbackHandler(TOPIC_ROBOT, (msg) => {
        sink.chars += msg.data.text.content.length;
        return null;
      });
    } else {
      client.registerCallbackHandler(TOPIC_ROBOT, async (msg) => {
        sink.chars += msg.data.text.content.length;
        return null;
      });
    }
    await client.start();
    // what `ws` does for a WHATWG listener: text frames become strings
    const dispatch = (buf) => {
      const event = { type: 'message', data: String(buf) };
      for (const l of socket.listeners.message) l(event);
    };
    return { dispatch, stop: () => client.stop() };
  }
  if (kind === 'official') {
    const { DWClient, TOPIC_ROBOT } = await import('dingtalk-stream');
    const client = new DWClient({ clientId: 'id', clientSecret: 'secret' });
    client.registerCallbackListener(TOPIC_ROBOT, (res) => {
      const message = JSON.parse(res.data);
      sink.chars += message.text.content.length;
      client.socketCallBackResponse(res.headers.messageId, null);
    });
    client.socket = { send: () => onAck() };
    return { dispatch: (buf) => client.onDownStream(buf), stop: () => {} };
  }
  const ws = { send: () => onAck() };
  return {
    dispatch: (raw) => {
      const frame = JSON.parse(raw);
      if (frame.type === 'CALLBACK') {
        const data = JSON.parse(frame.data);
        sink.chars += data.text.content.length;
        ws.send(JSON.stringify({ code: 200, headers: { contentType: 'application/json', messageId: frame.headers.messageId }, message: 'OK', data: '{"response":null}' }));
      }
    },
    stop: () => {},
  };
}
