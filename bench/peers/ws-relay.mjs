// The peer Nido's relay is measured against: a WebSocket relay written the way the `ws`
// package's README broadcasts ("Server broadcast", every client but the sender), with no
// accounts, rooms or limits. It forwards Nido's binary frames and text messages unchanged.
// Usage: node ws-relay.mjs PORT   (0 picks a free port; prints "listening PORT" when ready)
import WebSocket, { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.argv[2] ?? 0) });

wss.on('listening', () => console.log(`listening ${wss.address().port}`));

wss.on('connection', (ws) => {
  ws.on('error', console.error);
  ws.on('message', (data, isBinary) => {
    for (const client of wss.clients) {
      if (client !== ws && client.readyState === WebSocket.OPEN) {
        client.send(data, { binary: isBinary });
      }
    }
  });
});
