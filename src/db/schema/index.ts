export * from './access.ts'
export * from './people.ts'
export * from './tickets.ts'
export * from './workspaces.ts'
