// Package testkit is the home of the helpers that only tests and
// benchmarks use: building the wharf binary and sweeping leftovers
// (testutil), simulated client nodes (fakenode) and throwaway TLS
// certificates (certgen). Its packages live apart from the product
// packages so that the binary never links them: nothing outside a
// _test.go file, test/ or bench/ may import them. It must never import
// cmd/ or test/.
package testkit
