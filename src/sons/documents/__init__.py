"""Documents people read or sign: the annotated rulebook, later orders, MOM and VA (PDF)."""
