"""Reference data every source resolves against, in one place: the unit resolver (`units`: the
registry's codes, names, abbreviations and OCR damage), the gazetteer of places (`places`), the
topic taxonomy and its aliases (`topics`) and the text matching they share (`matching`)."""
