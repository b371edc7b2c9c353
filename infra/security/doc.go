// Package security holds the portal's adversarial tests (docs/SECURITY.md): the
// tenant-isolation matrix over every API route, and the brute-force and enumeration
// tests. They run against the whole portal, started by the local runner on loopback with
// its own emulators, once for the package.
package security
