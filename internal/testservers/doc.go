// Package testservers starts the real servers that integration and
// end-to-end tests run against, as processes of the test's own: a private
// PostgreSQL cluster (one a test may stop and start, which the shared
// cluster on 127.0.0.1:5432 must never be) and versitygw, an S3-protocol
// server. Only tests import it.
package testservers
