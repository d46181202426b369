import type { FastifyInstance, HTTPMethods } from 'fastify'
import fp from 'fastify-plugin'
import FindMyWay from 'find-my-way'

export interface RegisteredRoute {
  method: string
  url: string
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route of the service, as registered (tests enumerate them; 405 answers use them). */
    registeredRoutes: RegisteredRoute[]
    /** The methods a concrete path answers to, or undefined when no route has that path. */
    allowedMethods(path: string): string[] | undefined
  }
}

export default fp(
  async function routeRegistry(app: FastifyInstance) {
    const routes: RegisteredRoute[] = []
    const byPattern = new Map<string, Set<string>>()
    // A second router holding only the paths, to match a concrete URL against the patterns.
    const paths = FindMyWay()
    app.decorate('registeredRoutes', routes)
    app.decorate('allowedMethods', (path: string) => {
      const pattern = (paths.find('GET', path)?.store as { url?: string } | undefined)?.url
      return pattern ? [...(byPattern.get(pattern) ?? [])] : undefined
    })
    app.addHook('onRoute', (route) => {
      const methods = (Array.isArray(route.method) ? route.method : [route.method]) as HTTPMethods[]
      let known = byPattern.get(route.url)
      // The CORS preflight route (`OPTIONS *`) matches every path; it says nothing of which methods one has.
      if (!known && route.url !== '*') {
        known = new Set()
        byPattern.set(route.url, known)
        paths.on('GET', route.url, () => {}, { url: route.url })
      }
      for (const method of methods) {
        known?.add(method)
        routes.push({ method, url: route.url })
      }
    })
  },
  { name: 'route-registry' },
)
