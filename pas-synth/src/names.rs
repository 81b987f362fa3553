//! Embedded name lists and the languages of the synthetic population.
//!
//! BC is diverse: the lists cover the communities behind the languages PAS sees most (Punjabi,
//! Chinese, Filipino, Persian, Korean, French, Spanish, Hindi, Vietnamese, Arabic, Japanese,
//! Russian/Ukrainian) plus English-language names and surnames common in BC First Nations
//! communities. Some names carry diacritics (`Côté`, `Nguyễn`), apostrophes, hyphens or a
//! period (`Ma. Luisa`), so validation of DOMAIN §1 names is exercised by realistic data.

/// A community's given and family names.
pub(crate) struct NameGroup {
    pub(crate) given: &'static [&'static str],
    pub(crate) family: &'static [&'static str],
}

/// Index of the English-language group in [`GROUPS`] (also the source of second-generation
/// children's given names).
pub(crate) const ENGLISH: usize = 0;

/// Every name group; indices are referred to by [`LANGUAGES`] and [`ENGLISH_SPEAKER_GROUPS`].
pub(crate) static GROUPS: [NameGroup; 14] = [
    // 0 English / British Isles / European heritage
    NameGroup {
        given: &[
            "Olivia",
            "Liam",
            "Emma",
            "Noah",
            "Charlotte",
            "Oliver",
            "Amelia",
            "William",
            "Ava",
            "Benjamin",
            "Sophie",
            "Jack",
            "Chloe",
            "Ethan",
            "Hannah",
            "Lucas",
            "Grace",
            "James",
            "Emily",
            "Owen",
            "Sarah",
            "Daniel",
            "Jessica",
            "Matthew",
            "Megan",
            "Ryan",
            "Zoë",
            "Mary",
            "John",
            "Margaret",
            "Robert",
            "Patricia",
            "David",
            "Linda",
            "Michael",
            "Susan",
            "Brian",
            "Karen",
            "Douglas",
            "Heather",
            "Gordon",
            "Jennifer",
            "Kevin",
            "Nicole",
            "Tyler",
            "Ashley",
            "Logan",
            "Madison",
            "Evelyn",
            "Harold",
            "Dorothy",
            "Mary-Anne",
            "Jean-Paul",
            "Riley",
            "Quinn",
        ],
        family: &[
            "Smith",
            "Brown",
            "Wilson",
            "Taylor",
            "Campbell",
            "Anderson",
            "Thompson",
            "MacDonald",
            "Martin",
            "Johnson",
            "Stewart",
            "Clark",
            "Robinson",
            "Walker",
            "Wright",
            "Scott",
            "Murray",
            "Fraser",
            "Ross",
            "Graham",
            "Morrison",
            "O'Brien",
            "Mitchell",
            "Reid",
            "Young",
            "Hall",
            "Bell",
            "Kelly",
            "Harris",
            "Lewis",
            "McKenzie",
            "Johnston",
            "Hughes",
            "Cameron",
            "Henderson",
            "Sutherland",
            "Olsen",
            "Nielsen",
            "Jansen",
            "Schmidt",
            "Müller",
            "Rossi",
            "Van der Berg",
            "O'Neill",
            "Hamilton",
            "Davies",
            "Evans",
            "Russell",
            "Gray",
            "Ferguson",
        ],
    },
    // 1 Punjabi
    NameGroup {
        given: &[
            "Amrit",
            "Gurpreet",
            "Harpreet",
            "Jaspreet",
            "Manpreet",
            "Navjot",
            "Simran",
            "Rajinder",
            "Sukhwinder",
            "Baljit",
            "Kuldeep",
            "Parminder",
            "Harjit",
            "Jasleen",
            "Arjun",
            "Gurleen",
            "Ravinder",
            "Amandeep",
            "Kiranjit",
            "Balraj",
            "Harman",
            "Jasmeet",
            "Navneet",
            "Sukhdeep",
            "Tejinder",
        ],
        family: &[
            "Sandhu", "Gill", "Dhillon", "Sidhu", "Grewal", "Brar", "Johal", "Bains", "Sangha", "Dhaliwal", "Mann",
            "Sahota", "Toor", "Bassi", "Kang", "Atwal", "Chahal", "Hundal", "Randhawa", "Virk", "Sekhon", "Samra",
        ],
    },
    // 2 Chinese (Mandarin and Cantonese romanisations)
    NameGroup {
        given: &[
            "Wei", "Mei", "Jun", "Xin", "Hui", "Ying", "Ka Wai", "Wing", "Yan", "Lei", "Jian", "Hao", "Yue",
            "Siu Ming", "Kwok", "Ling", "Zhi", "Xiaoming", "Jia", "Tian", "Kevin", "Jenny", "Alice", "Eric", "Vivian",
            "Raymond",
        ],
        family: &[
            "Chen", "Wong", "Li", "Wang", "Zhang", "Liu", "Lam", "Leung", "Chan", "Cheung", "Ho", "Huang", "Lin",
            "Yang", "Wu", "Zhou", "Lau", "Ng", "Tang", "Yip", "Chow", "Lee", "Fung", "Kwan",
        ],
    },
    // 3 Filipino
    NameGroup {
        given: &[
            "Maria",
            "Jose",
            "Juan",
            "Ma. Luisa",
            "Ma. Cristina",
            "Mark",
            "Jerome",
            "Rowena",
            "Maricel",
            "Jennifer",
            "Ronaldo",
            "Angelica",
            "Joy",
            "Romeo",
            "Liza",
            "Marites",
            "Rodel",
            "Jomar",
            "Cherry",
            "Arnel",
        ],
        family: &[
            "Santos",
            "Reyes",
            "Cruz",
            "Bautista",
            "Garcia",
            "Mendoza",
            "Dela Cruz",
            "Ramos",
            "Aquino",
            "Villanueva",
            "Castillo",
            "Flores",
            "Gonzales",
            "Manalo",
            "Pascual",
            "De Guzman",
            "Navarro",
        ],
    },
    // 4 Persian
    NameGroup {
        given: &[
            "Ali", "Reza", "Maryam", "Fatemeh", "Sara", "Mehdi", "Amir", "Leila", "Parisa", "Hossein", "Niloufar",
            "Dariush", "Shirin", "Arash", "Roya", "Kian", "Nasrin",
        ],
        family: &[
            "Hosseini",
            "Ahmadi",
            "Rahimi",
            "Karimi",
            "Mohammadi",
            "Rezaei",
            "Moradi",
            "Sadeghi",
            "Jafari",
            "Tehrani",
            "Ghorbani",
            "Kazemi",
            "Azizi",
            "Shirazi",
        ],
    },
    // 5 Korean
    NameGroup {
        given: &[
            "Min-jun",
            "Seo-yeon",
            "Ji-woo",
            "Ha-eun",
            "Jae-hyun",
            "Soo-jin",
            "Hyun-woo",
            "Eun-ji",
            "Dong-hyun",
            "Ji-hoon",
            "Yuna",
            "Min-seo",
            "Sung-min",
        ],
        family: &[
            "Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han", "Shin",
        ],
    },
    // 6 French
    NameGroup {
        given: &[
            "Marie",
            "Jean",
            "Sophie",
            "Luc",
            "Élodie",
            "François",
            "Chantal",
            "Mathieu",
            "Geneviève",
            "Pierre",
            "Hélène",
            "Benoît",
            "Isabelle",
            "Étienne",
            "Camille",
            "Josée",
        ],
        family: &[
            "Tremblay",
            "Gagnon",
            "Roy",
            "Côté",
            "Bouchard",
            "Gauthier",
            "Morin",
            "Lavoie",
            "Fortin",
            "Gagné",
            "Ouellet",
            "Pelletier",
            "Bélanger",
            "Lévesque",
            "Bergeron",
            "D'Amours",
        ],
    },
    // 7 Spanish / Latin American
    NameGroup {
        given: &[
            "José",
            "María",
            "Carlos",
            "Ana",
            "Luis",
            "Sofía",
            "Diego",
            "Valentina",
            "Javier",
            "Lucía",
            "Andrés",
            "Camila",
            "Miguel",
            "Gabriela",
            "Alejandro",
            "María José",
        ],
        family: &[
            "García",
            "Rodríguez",
            "Hernández",
            "López",
            "Martínez",
            "González",
            "Pérez",
            "Sánchez",
            "Ramírez",
            "Torres",
            "Rivera",
            "Gómez",
            "Díaz",
            "Morales",
            "Castro",
        ],
    },
    // 8 Hindi / other South Asian
    NameGroup {
        given: &[
            "Priya", "Rahul", "Anjali", "Amit", "Neha", "Vikram", "Pooja", "Arjun", "Kavya", "Rohan", "Sunita",
            "Sanjay", "Deepa", "Aditya", "Meera", "Ishaan",
        ],
        family: &[
            "Sharma", "Patel", "Singh", "Kumar", "Gupta", "Verma", "Mehta", "Joshi", "Shah", "Reddy", "Iyer", "Nair",
            "Rao", "Desai", "Chopra",
        ],
    },
    // 9 Vietnamese
    NameGroup {
        given: &[
            "Anh", "Minh", "Linh", "Thảo", "Hùng", "Lan", "Tuấn", "Hương", "Dũng", "Mai", "Quang", "Trang",
        ],
        family: &[
            "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Nguyen", "Tran",
        ],
    },
    // 10 Arabic
    NameGroup {
        given: &[
            "Mohammed", "Fatima", "Omar", "Layla", "Ahmad", "Nour", "Yusuf", "Mariam", "Khaled", "Rania", "Hassan",
            "Amina",
        ],
        family: &[
            "Haddad", "Khalil", "Hassan", "Ibrahim", "Mansour", "Saleh", "Nasser", "Abdullah", "Youssef", "Farah",
            "Hamdan", "Aziz", "Al-Sayed",
        ],
    },
    // 11 Japanese
    NameGroup {
        given: &[
            "Haruto", "Yui", "Sota", "Aoi", "Ren", "Hina", "Yuki", "Kenji", "Akiko", "Takeshi",
        ],
        family: &[
            "Sato",
            "Suzuki",
            "Takahashi",
            "Tanaka",
            "Watanabe",
            "Ito",
            "Yamamoto",
            "Nakamura",
            "Kobayashi",
            "Kato",
        ],
    },
    // 12 Russian / Ukrainian
    NameGroup {
        given: &[
            "Alexei", "Olga", "Dmitri", "Natalia", "Sergei", "Irina", "Andriy", "Oksana", "Mikhail", "Svetlana",
        ],
        family: &[
            "Ivanov",
            "Smirnova",
            "Kuznetsov",
            "Popova",
            "Petrenko",
            "Kovalenko",
            "Shevchenko",
            "Volkov",
            "Sokolova",
            "Morozov",
        ],
    },
    // 13 Surnames common in BC First Nations communities (given names: the English list's)
    NameGroup {
        given: &[
            "Sarah", "Joseph", "Mary", "Michael", "Jessica", "Tyler", "Ashley", "Robert", "Crystal", "Brandon",
            "Dakota", "Skye",
        ],
        family: &[
            "Joseph", "Louie", "Charlie", "Sampson", "Baptiste", "Peters", "Jules", "Alec", "Point", "Antoine",
            "Seymour", "August", "Jimmie", "Isaac", "Harry", "Williams", "George", "Thomas",
        ],
    },
];

/// Spoken languages of registrants with their share (percent) and the name group of their
/// speakers (DOMAIN §7 codes). The shares follow BC's most-spoken home languages.
pub(crate) static LANGUAGES: [(&str, f64, usize); 14] = [
    ("en", 74.0, ENGLISH),
    ("pa", 5.0, 1),
    ("zh", 4.0, 2),
    ("yue", 3.0, 2),
    ("tl", 3.0, 3),
    ("fa", 2.0, 4),
    ("ko", 1.5, 5),
    ("fr", 1.5, 6),
    ("es", 1.5, 7),
    ("hi", 1.5, 8),
    ("vi", 1.0, 9),
    ("ar", 1.0, 10),
    ("ja", 0.5, 11),
    ("ru", 0.5, 12),
];

/// Heritage of English speakers (weights): many second-generation British Columbians speak
/// English at home but carry their family's names.
pub(crate) static ENGLISH_SPEAKER_GROUPS: [(usize, f64); 14] = [
    (ENGLISH, 60.0),
    (1, 6.0),
    (2, 8.0),
    (3, 4.0),
    (4, 2.0),
    (5, 2.0),
    (6, 3.0),
    (7, 2.0),
    (8, 3.0),
    (9, 1.5),
    (10, 1.5),
    (11, 1.0),
    (12, 1.0),
    (13, 5.0),
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn s1_every_embedded_name_is_valid() {
        for g in &GROUPS {
            for n in g.given.iter().chain(g.family) {
                assert!(pas_core::PersonName::parse(n).is_ok(), "{n}");
            }
        }
        for (code, _, _) in LANGUAGES {
            assert!(pas_core::Language::parse(code).is_ok(), "{code}");
        }
    }
}
