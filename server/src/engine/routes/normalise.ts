/** `/carts/{cart_id}/items`, `/carts/:cartId/items` and `/carts/<int:id>/items` all become `/carts/{}/items`. */
export function normaliseRoutePath(p: string): string {
  const cleaned = p
    .split('?')[0]
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/<[^>]*>/g, '{}')
    .replace(/:[A-Za-z_$][\w$]*\??/g, '{}')
    .replace(/\/+/g, '/');
  return cleaned.length > 1 ? cleaned.replace(/\/$/, '') : cleaned;
}

