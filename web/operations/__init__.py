"""What an operator's monitor polls."""
