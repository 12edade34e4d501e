"""Plain-text tools every stage shares: cleaning markup, folding and stemming words, splitting
sentences, telling the language."""
