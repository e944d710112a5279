"""Read a paper: PDF text with pypdf, cleaned up and split into sections, and the model input
built from it within a token budget. Extraction runs in a process pool with a timeout per PDF.

Entry points: `extract.extract_pdf`, `extract.extract_many`, `extract.build_model_input`,
`model_input.number_sentences`, and `sentences.split_sentences` (which the draft stage uses to
number the sentences a model cites).
"""
