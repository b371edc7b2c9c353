package httpapi

// ConsoleService is what the staff console's customer routes call (package console).
type ConsoleService interface{}
