import t from 'tap'
import { buildTestApp } from '../../helpers/app.ts'

const ctx = await buildTestApp(t)
const ws = await ctx.createWorkspace()
const api = ws.api

t.test('flow', async (t) => {
  const cat = await api.post('/v1/kb/categories', {
    translations: [
      { locale: 'es', name: 'Facturación', slug: 'facturacion' },
      { locale: 'en', name: 'Billing', slug: 'billing' },
    ],
  })
  t.equal(cat.status, 201, cat.text)
  const art = await api.post('/v1/kb/articles', {
    categoryId: cat.body.id,
    visibility: 'public',
    tags: ['billing'],
    publish: true,
    translations: [
      {
        locale: 'es',
        title: 'Cómo pedir un reembolso de tu factura',
        body: 'Para pedir el **reembolso** de una facturación incorrecta, escribe a soporte. Las facturas se envían por correo.',
      },
      {
        locale: 'en',
        title: 'How to request a refund',
        body: 'To get a refund for a wrong invoice, contact support. Invoices are e-mailed.',
      },
    ],
  })
  t.equal(art.status, 201, art.text)
  console.log(JSON.stringify(art.body, null, 1).slice(0, 1500))
  for (const q of [
    'facturacion',
    'facturas',
    'reembolzo',
    '"pedir un reembolso"',
    'reemb*',
    'factura -correo',
  ]) {
    const r = await api.get(`/v1/kb/search?q=${encodeURIComponent(q)}&locale=es`)
    console.log(q, r.status, JSON.stringify(r.body).slice(0, 600))
  }
  const en = await api.get('/v1/kb/search?q=refunds&locale=en')
  console.log('en', JSON.stringify(en.body).slice(0, 500))
  const ca = await api.get('/v1/kb/search?q=refund&locale=ca')
  console.log('ca', JSON.stringify(ca.body).slice(0, 500))
  const sug = await api.post('/v1/kb/suggestions', {
    subject: 'Quiero un reembolso',
    body: 'me cobraron dos veces la factura',
    locale: 'es',
  })
  console.log('sug', sug.status, JSON.stringify(sug.body).slice(0, 500))
  const pub = await ctx.anonymous.get(
    `/v1/public/${ws.slug}/kb/articles/como-pedir-un-reembolso-de-tu-factura?locale=es`,
  )
  console.log('pub', pub.status, pub.headers.etag, pub.headers['cache-control'], pub.text.slice(0, 300))
  const again = await ctx.anonymous.get(
    `/v1/public/${ws.slug}/kb/articles/como-pedir-un-reembolso-de-tu-factura?locale=es`,
    { 'if-none-match': String(pub.headers.etag) },
  )
  console.log('304?', again.status)
  const fb = await ctx.anonymous.post(`/v1/public/${ws.slug}/kb/articles/${art.body.id}/feedback`, {
    helpful: false,
    sessionKey: 'abcdefghijklmnopqrstuvwxyz',
  })
  console.log('fb', fb.status, fb.text)
  const rep = await api.get('/v1/reports/kb')
  console.log('rep', rep.status, rep.text)
  const draft = await api.put(`/v1/kb/articles/${art.body.id}/translations/es`, {
    title: 'Reembolsos',
    body: 'Nuevo texto',
  })
  console.log('draft', draft.status, draft.text.slice(0, 400))
  const pubd = await api.post(`/v1/kb/articles/${art.body.id}/translations/es/publish`)
  console.log('publish', pubd.status)
  const en2 = await api.get(`/v1/kb/articles/${art.body.id}?locale=en`)
  console.log('outdated', JSON.stringify(en2.body.translations))
  const vers = await api.get(`/v1/kb/articles/${art.body.id}/versions`)
  console.log('versions', vers.status, JSON.stringify(vers.body).slice(0, 400))
})
