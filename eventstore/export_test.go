package eventstore

// EventColumns lets the benchmarks' raw baseline select exactly what the
// store selects.
const EventColumns = eventColumns

// LockLiveTables is the swap's lock step, for its deadlock test.
var LockLiveTables = lockLiveTables
