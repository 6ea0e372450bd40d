import assert from 'node:assert/strict';
import request from 'supertest';

/** The dashboard login of the admin tests. */
export const ADMIN_USER = 'ops';
export const ADMIN_PASSWORD = 'correct horse battery staple';

export const csrfOf = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? assert.fail('no CSRF token in the page');

/** A logged-in supertest agent (cookies kept) and the session's CSRF token. */
export async function logIn(baseUrl: string, password = ADMIN_PASSWORD) {
  const agent = request.agent(baseUrl);
  const page = await agent.get('/admin/login').expect(200);
  const res = await agent
    .post('/admin/login')
    .type('form')
    .send({ _csrf: csrfOf(page.text), user: ADMIN_USER, password, next: '/admin' });
  assert.equal(res.status, 303, res.text);
  const overview = await agent.get('/admin').set('Accept', 'text/html').expect(200);
  return { agent, csrf: csrfOf(overview.text), loginResponse: res };
}
