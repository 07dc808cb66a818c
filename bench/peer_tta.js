// Starts the telegram-test-api emulator for bench/echo_vs_peer.py (RAM storage, its defaults).
// usage: node bench/peer_tta.js <path to node_modules/telegram-test-api> <port>
const TelegramServer = require(process.argv[2]);

const server = new TelegramServer({ port: Number(process.argv[3]), host: '127.0.0.1' });
server.start().then(() => console.log('ready'));
process.on('SIGTERM', () => server.stop().then(() => process.exit(0)));
