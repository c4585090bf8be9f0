"""Red flags on the web: the inspectors' linking of bidders across lots (inspection_pages, inspection_api)."""
