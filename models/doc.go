// Package models holds OpenIMI's persistent records: the GORM structs, the
// store that reads and writes them in transactions, and the versioned SQL
// migrations that shape the database.
package models
