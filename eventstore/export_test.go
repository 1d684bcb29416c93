package eventstore

// EventColumns lets the benchmarks' raw baseline select exactly what the
// store selects.
const EventColumns = eventColumns
