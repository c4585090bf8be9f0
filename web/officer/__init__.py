"""The officer console: a municipality's lots, their terms and files, applications, the commission, results."""
