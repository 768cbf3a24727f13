// An Express 5 app as teams write one: a router mounted at /users with a parameterised route that
// answers a little JSON. Bun runs node:http servers with a handler of its own that no fetch wrapper
// sees, so bun-apm's node:http path is measured here (bench:ab, `ONLY=express VARIANTS=plain,floor,defaults`).
//   PORT=3000 bun bench/apps/express.ts   then   GET /users/1
interface Res {
  json(body: unknown): void;
}
interface Router {
  get(path: string, handler: (req: { params: Record<string, string> }, res: Res) => void): void;
}
// Express ships no types, and this repository installs none for one benchmark app.
const express = require('express') as { (): Router & { use(path: string, router: Router): void; listen(port: number, host: string, ready: () => void): void }; Router(): Router };

const app = express();
const users = express.Router();
users.get('/:id', (req, res) => {
  res.json({ id: req.params.id, name: 'Ada' });
});
app.use('/users', users);
app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => console.log('express app listening'));
