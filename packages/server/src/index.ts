// The package's programmatic entry: run Sightline inside your own process.
export { type Config, ConfigError, loadConfig } from './config.js'
export { type CreateOptions, createSightline, type Sightline } from './server.js'
export { SERVER_VERSION } from './version.js'
