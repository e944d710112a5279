"""Read a paper: PDF text with pypdf, cleaned up and split into sections, the model input
built from it within a token budget, and the passages each field of an entry is written from.
Extraction runs in a process pool with a timeout per PDF.

Entry points: `extract.extract_pdf`, `extract.extract_many`, `extract.build_model_input`,
`passages.find_passages`, `model_input.number_sentences`, and `sentences.split_sentences`
(which the draft stage uses to split a field into sentences).
"""
