"""The dashboard's tests (a package, so that its modules, such as ``catalogue``, never
shadow an installed module of the same name: spaCy's ``catalogue``)."""
