/**
 * Names for demo patients, by the language communities a small US practice serves, with
 * the letters those names really carry (accents, diacritics, apostrophes), so search and
 * display meet them. `familyFirst` names are written family name first (Vietnamese).
 */

export interface NameGroup {
  /** BCP-47 language a part of this community prefers (Patient.communication). */
  language: { code: string; display: string } | undefined;
  /** Share of the group who prefer that language. */
  languageShare: number;
  female: readonly string[];
  male: readonly string[];
  family: readonly string[];
  familyFirst?: boolean;
  /** How common the group is in the demo practice. */
  weight: number;
}

export const NAME_GROUPS: readonly NameGroup[] = [
  {
    language: undefined,
    languageShare: 0,
    female: ['Emily', 'Sarah', 'Jessica', 'Ashley', 'Megan', 'Hannah', 'Olivia', 'Grace', 'Abigail', 'Madison', 'Linda', 'Barbara', 'Dorothy', 'Margaret', 'Ruth', 'Helen', 'Kayla', 'Brooke'],
    male: ['James', 'Michael', 'Robert', 'William', 'David', 'Christopher', 'Matthew', 'Joshua', 'Andrew', 'Ethan', 'Tyler', 'Richard', 'Thomas', 'Charles', 'Harold', 'Walter', 'Logan', 'Caleb'],
    family: ['Smith', 'Johnson', 'Williams', 'Brown', 'Miller', 'Davis', 'Wilson', 'Anderson', 'Taylor', 'Moore', 'Jackson', 'White', 'Harris', 'Clark', 'Lewis', 'Walker', 'Young', 'Hall', 'Wright', 'Baker', 'Campbell', 'Parker'],
    weight: 30,
  },
  {
    language: { code: 'es', display: 'Spanish' },
    languageShare: 0.45,
    female: ['María', 'Lucía', 'Sofía', 'Valentina', 'Ximena', 'Guadalupe', 'Inés', 'Mónica', 'Verónica', 'Raquel', 'Beatriz', 'Dolores', 'Ana Lucía', 'Marisol'],
    male: ['José', 'Jesús', 'Andrés', 'Tomás', 'Martín', 'Raúl', 'Sebastián', 'Nicolás', 'Joaquín', 'Rubén', 'Héctor', 'Óscar', 'Iván', 'Mateo'],
    family: ['García', 'Hernández', 'López', 'Martínez', 'González', 'Rodríguez', 'Pérez', 'Sánchez', 'Ramírez', 'Muñoz', 'Núñez', 'Ibáñez', 'Peña', 'Castañeda', 'Jiménez', 'Gutiérrez', 'Álvarez', 'Ortiz'],
    weight: 20,
  },
  {
    language: { code: 'vi', display: 'Vietnamese' },
    languageShare: 0.5,
    female: ['Thị Lan', 'Thị Hương', 'Ngọc Anh', 'Thu Trang', 'Bích Ngọc', 'Minh Thư', 'Thị Mai'],
    male: ['Văn Minh', 'Đức Anh', 'Quốc Bảo', 'Hoàng Long', 'Văn Hùng', 'Minh Quân', 'Thanh Tùng'],
    family: ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Võ', 'Đặng', 'Bùi', 'Đỗ'],
    familyFirst: true,
    weight: 7,
  },
  {
    language: { code: 'ga', display: 'Irish' },
    languageShare: 0.02,
    female: ['Siobhán', 'Aoife', 'Niamh', 'Saoirse', 'Róisín', 'Caoimhe', 'Orla', 'Máire'],
    male: ['Seán', 'Pádraig', 'Ciarán', 'Eoin', 'Cillian', 'Darragh', 'Oisín', 'Tadhg'],
    family: ["O'Connor", "O'Brien", "O'Sullivan", 'Ó Súilleabháin', 'MacCárthaigh', 'Murphy', 'Kelly', 'Byrne', "O'Neill", 'Gallagher'],
    weight: 8,
  },
  {
    language: { code: 'sv', display: 'Swedish' },
    languageShare: 0.1,
    female: ['Åsa', 'Märta', 'Linnéa', 'Ingrid', 'Sigrid', 'Maja', 'Astrid'],
    male: ['Björn', 'Göran', 'Håkan', 'Jörgen', 'Måns', 'Sören', 'Nils'],
    family: ['Åberg', 'Öberg', 'Ångström', 'Söderström', 'Lindqvist', 'Bergström', 'Sjögren', 'Hägglund', 'Østergaard', 'Sørensen'],
    weight: 5,
  },
  {
    language: { code: 'fr', display: 'French' },
    languageShare: 0.15,
    female: ['Zoë', 'Chloé', 'Renée', 'Hélène', 'Élodie', 'Noémie', 'Gaëlle', 'Françoise'],
    male: ['François', 'Jérôme', 'Loïc', 'Thibaut', 'Benoît', 'Gaël', 'Jean-Luc', 'Étienne'],
    family: ['Brontë', 'Lefèvre', 'Dubois', 'Bélanger', 'Côté', 'Gagné', 'Pelletier', 'Lévesque', 'Bouchard', 'Thériault'],
    weight: 6,
  },
  {
    language: { code: 'pt', display: 'Portuguese' },
    languageShare: 0.4,
    female: ['Conceição', 'Graça', 'Inês', 'Luísa', 'Sônia', 'Fátima'],
    male: ['João', 'Antônio', 'Sebastião', 'Simão', 'Estêvão', 'Luís'],
    family: ['Gonçalves', 'Conceição', 'Magalhães', 'Araújo', 'Simões', 'Brandão', 'Assunção', 'Falcão'],
    weight: 5,
  },
  {
    language: { code: 'de', display: 'German' },
    languageShare: 0.05,
    female: ['Käthe', 'Anneliese', 'Grete', 'Hannelore', 'Ursula', 'Jördis'],
    male: ['Jürgen', 'Günther', 'Jörg', 'Lukas', 'Matthäus', 'Dieter'],
    family: ['Müller', 'Schröder', 'Köhler', 'Weiß', 'Groß', 'Krämer', 'Bäcker', 'Schäfer'],
    weight: 4,
  },
  {
    language: { code: 'pl', display: 'Polish' },
    languageShare: 0.2,
    female: ['Małgorzata', 'Agnieszka', 'Żaneta', 'Józefa', 'Bożena', 'Jadwiga'],
    male: ['Łukasz', 'Paweł', 'Wojciech', 'Michał', 'Grzegorz', 'Stanisław'],
    family: ['Wójcik', 'Kowalczyk', 'Woźniak', 'Dąbrowski', 'Zieliński', 'Łapiński', 'Kamiński', 'Szymański'],
    weight: 4,
  },
  {
    language: { code: 'yo', display: 'Yoruba' },
    languageShare: 0.05,
    female: ['Adéọlá', 'Olúwaṣeun', 'Chiamaka', 'Ngozi', 'Folake', 'Ifeoma'],
    male: ['Olúwadámilọ́lá', 'Chukwuemeka', 'Babatunde', 'Obinna', 'Adébáyọ̀', 'Kelechi'],
    family: ['Okafor', 'Adébáyọ̀', 'Okonkwo', 'Ògúnlẹ̀yẹ', 'Nwosu', 'Adeyemi', 'Eze', 'Oyelaran'],
    weight: 4,
  },
  {
    language: { code: 'zh', display: 'Chinese' },
    languageShare: 0.4,
    female: ['Mei-Ling', 'Xiǎo Hóng', 'Li Na', 'Yun', 'Jia Hui'],
    male: ['Wei', 'Jun', 'Zhì Míng', 'Hao', 'Jian'],
    family: ['Chen', 'Wang', 'Lǚ', 'Zhāng', 'Liu', 'Huang', 'Zhou'],
    weight: 4,
  },
  {
    language: { code: 'ar', display: 'Arabic' },
    languageShare: 0.35,
    female: ['Fatima', 'Layla', 'Nour', 'Yasmin', 'Amira', 'Rania'],
    male: ['Omar', 'Youssef', 'Khaled', 'Hassan', 'Tariq', 'Karim'],
    family: ['Al-Sayed', 'Haddad', 'Khoury', 'Nasser', 'Saleh', 'Abdullah', "Ba'albaki"],
    weight: 3,
  },
];

/** Street names for addresses (the town names are invented). */
export const STREETS = ['River Street', 'Maple Avenue', 'Elm Street', 'Chestnut Lane', 'Orchard Road', 'Mill Pond Road', 'Harbor View', 'Union Square', 'Prospect Hill', 'Cedar Court', 'Willow Way', 'Bridge Street'];
export const TOWNS: readonly { city: string; postalCode: string }[] = [
  { city: 'Riverside', postalCode: '01901' },
  { city: 'Millbrook', postalCode: '01902' },
  { city: 'Cedar Falls', postalCode: '01903' },
  { city: 'North Harbor', postalCode: '01904' },
  { city: 'Elmwood', postalCode: '01905' },
];
