import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errorResponses, Id } from '../../lib/api-schemas.ts'
import { DEFAULT_GRACE_MINUTES } from './contact-tokens.ts'
import {
  ContactToken,
  ContactTokenSecretList,
  LoginBody,
  LogoutBody,
  Me,
  MintContactTokenBody,
  RefreshBody,
  RotatedContactTokenSecret,
  RotateSecretBody,
  TokenPair,
} from './schemas.ts'

const security = [{ bearer: [] }]
/** OpenAPI's way to say a route takes no token. */
const noToken = [{}]

export const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { sessions, contactTokens } = app.services
  const tags = ['auth']

  app.post(
    '/v1/auth/login',
    {
      config: { revealsSecret: true, notIdempotent: true },
      schema: {
        tags,
        summary: 'Sign an agent in',
        description:
          'Returns a short-lived access token and a refresh token. Failed attempts are limited per account and per address (429 with Retry-After); an unknown e-mail and a wrong password get the same answer.',
        security: noToken,
        body: LoginBody,
        response: { 200: Type.Ref(TokenPair), ...errorResponses(429) },
      },
    },
    async (request) => sessions.login(request.body, request.ip),
  )

  app.post(
    '/v1/auth/refresh',
    {
      config: { revealsSecret: true, notIdempotent: true },
      schema: {
        tags,
        summary: 'Rotate a refresh token',
        description:
          'Returns a new token pair. A refresh token works once; presenting a used one revokes the whole session.',
        security: noToken,
        body: RefreshBody,
        response: { 200: Type.Ref(TokenPair), ...errorResponses() },
      },
    },
    async (request) => sessions.refresh(request.body.refreshToken),
  )

  app.post(
    '/v1/auth/logout',
    {
      config: { notIdempotent: true },
      schema: {
        tags,
        summary: 'End a session',
        description:
          "Ends the access token's session, or the one the refresh token in the body belongs to: all their tokens stop working.",
        security,
        body: LogoutBody,
        response: { 204: Type.Null(), ...errorResponses() },
      },
    },
    async (request, reply) => {
      await sessions.logout(request.actor, request.body?.refreshToken)
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/v1/me',
    {
      schema: {
        tags,
        summary: 'Who the token speaks for',
        security,
        response: { 200: Type.Ref(Me), ...errorResponses() },
      },
    },
    async (request) => app.services.me(request.actor),
  )

  app.get(
    '/v1/workspace/contact-token-secrets',
    {
      schema: {
        tags,
        summary: 'List contact-token secrets',
        description: 'The current secret and any still in their grace period; never their values.',
        security,
        response: { 200: Type.Ref(ContactTokenSecretList), ...errorResponses() },
      },
    },
    async (request) => contactTokens.listSecrets(request.actor),
  )

  app.post(
    '/v1/workspace/contact-token-secrets',
    {
      config: { revealsSecret: true },
      schema: {
        tags,
        summary: 'Rotate the contact-token secret',
        description:
          'Creates a new current secret, shown only in this response. Tokens signed with the previous one keep working for `graceMinutes` (default 1440, a day: the longest a contact token lives).',
        security,
        body: RotateSecretBody,
        response: { 201: Type.Ref(RotatedContactTokenSecret), ...errorResponses() },
      },
    },
    async (request, reply) => {
      const rotated = await contactTokens.rotateSecret(
        request.actor,
        request.body?.graceMinutes ?? DEFAULT_GRACE_MINUTES,
      )
      return reply.code(201).send(rotated)
    },
  )

  app.post(
    '/v1/contacts/:id/token',
    {
      config: { revealsSecret: true },
      schema: {
        tags: ['contacts'],
        summary: 'Mint a contact token',
        description:
          "Signs a token for the contact with the workspace's current secret, for the integrator's backend to hand to the customer's browser.",
        security,
        params: Type.Object({ id: Id }),
        body: MintContactTokenBody,
        response: { 201: Type.Ref(ContactToken), ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      const minted = await contactTokens.mint(
        request.actor,
        request.params.id,
        request.body?.expiresIn ?? 3600,
      )
      return reply.code(201).send(minted)
    },
  )
}
