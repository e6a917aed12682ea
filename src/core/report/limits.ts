/** Characters of an answer (and of each input cell) a report keeps, unless it is made with `full`. */
export const ANSWER_LIMIT = 500;
