import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findHandler, normaliseRoutePath, scanRoutes } from '../../server/src/engine/routes';

test('path templates of every framework normalise alike', () => {
  assert.equal(normaliseRoutePath('/carts/{cart_id}/items'), '/carts/{}/items');
  assert.equal(normaliseRoutePath('/carts/:cartId/items/'), '/carts/{}/items');
  assert.equal(normaliseRoutePath('/carts/<int:cart_id>/items'), '/carts/{}/items');
  assert.equal(normaliseRoutePath('/'), '/');
});

const carts = `from fastapi import APIRouter, status

router = APIRouter(prefix="/carts", tags=["carts"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_cart(db=None):
    return {}


@router.post(
    "/{cart_id}/items", status_code=201)
async def add_item(cart_id: int):
    return {}

@router.get("/{cart_id}")
def get_cart(cart_id: int):
    ...
`;

test('FastAPI decorators with a router prefix point at the def line', () => {
  const routes = scanRoutes('app/routers/carts.py', carts);
  const create = findHandler(routes, 'POST', '/carts');
  assert.deepEqual(create?.location, { file: 'app/routers/carts.py', line: 7, column: 1 });
  const get = findHandler(routes, 'get', '/carts/{cart_id}');
  assert.equal(get?.location.line, 17);
  assert.equal(findHandler(routes, 'DELETE', '/carts/{cart_id}'), undefined);
});

test('Express routes mounted elsewhere match by path suffix', () => {
  const text = `const router = express.Router();\nrouter.get('/', list);\nrouter.post('/:listId/todos', (req, res) => {\n  res.json({});\n});\n`;
  const routes = scanRoutes('src/routes/lists.js', text);
  assert.deepEqual(findHandler(routes, 'POST', '/lists/{list_id}/todos')?.location, { file: 'src/routes/lists.js', line: 3, column: 1 });
  assert.equal(findHandler(routes, 'POST', '/lists/{list_id}/labels'), undefined);
});

test('the exact prefixed route beats a shorter suffix match', () => {
  const a = scanRoutes('a.py', 'router = APIRouter(prefix="/orders")\n@router.post("/{id}/pay")\ndef pay(id): ...\n');
  const b = scanRoutes('b.py', '@app.post("/pay")\ndef pay(): ...\n');
  assert.equal(findHandler([...b, ...a], 'POST', '/orders/{order_id}/pay')?.location.file, 'a.py');
});

test('a router with no prefix that is never mounted is found by its file name', () => {
  const routes = scanRoutes('src/routes/tags.js', "const router = express.Router();\nrouter.post('/', (req, res) => res.status(201).json({}));\nrouter.get('/', list);\n");
  assert.equal(findHandler(routes, 'POST', '/tags')?.location.line, 2);
  assert.equal(findHandler(routes, 'GET', '/tags')?.location.line, 3);
  assert.equal(findHandler(routes, 'GET', '/labels'), undefined);
});
