"""Reading the pages' forms into the domain's input shapes, and placing every problem next to its field."""
