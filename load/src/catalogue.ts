/** A Guatemalan band and some of its albums, as fans write them in a vote. */
export interface Band {
  name: string;
  albums: readonly { album: string; year: string }[];
}

/**
 * The bands a generated vote file draws from. Release years follow the press and fan
 * discographies found for each band; a band whose early years are uncertain lists only
 * the albums whose year is documented.
 */
export const BANDS: readonly Band[] = [
  {
    name: "Alux Nahual",
    albums: [
      { album: "Alux Nahual", year: "1981" },
      { album: "Conquista", year: "1982" },
      { album: "Hermanos de Sentimiento", year: "1984" },
      { album: "Centroamérica", year: "1986" },
      { album: "Alto al Fuego", year: "1987" },
      { album: "La Trampa", year: "1989" },
      { album: "Leyenda", year: "1990" },
      { album: "Americamorfosis", year: "1993" },
      { album: "Se Cantan Retratos", year: "1997" },
      { album: "Murciélago Danzante", year: "2012" },
      { album: "Sueños de Jade", year: "2016" },
    ],
  },
  {
    name: "Bohemia Suburbana",
    albums: [
      { album: "Sombras en el Jardín", year: "1993" },
      { album: "Mil Palabras con sus Dientes", year: "1997" },
      { album: "Sub", year: "2001" },
      { album: "Bohemia Suburbana", year: "2010" },
      { album: "Imaginaria Sonora", year: "2015" },
      { album: "Santiago 14° 91°", year: "2020" },
      { album: "Fiel a la Miel", year: "2025" },
    ],
  },
  {
    name: "Viernes Verde",
    albums: [
      { album: "Fantasía Funesta", year: "2009" },
      { album: "P.M.", year: "2017" },
      { album: "Si Este Es el Final…", year: "2025" },
    ],
  },
  {
    name: "Malacates Trébol Shop",
    albums: [
      { album: "Paquetecuetes", year: "1999" },
      { album: "Sólo Éxitos (Dicen)", year: "2005" },
      { album: "¿De Qué Sirve Querer?", year: "2009" },
      { album: "A Quien Corresponda", year: "2015" },
      { album: "Malacates Marimba", year: "2024" },
    ],
  },
  {
    name: "La Tona",
    albums: [{ album: "El Ojo", year: "1997" }],
  },
  {
    name: "Ricardo Arjona",
    albums: [
      { album: "Del Otro Lado del Sol", year: "1991" },
      { album: "Animal Nocturno", year: "1993" },
      { album: "Historias", year: "1994" },
      { album: "Si el Norte Fuera el Sur", year: "1996" },
      { album: "Sin Daños a Terceros", year: "1998" },
      { album: "Galería Caribe", year: "2000" },
      { album: "Santo Pecado", year: "2002" },
      { album: "Adentro", year: "2005" },
      { album: "Quién Dijo Ayer", year: "2007" },
      { album: "5to Piso", year: "2008" },
      { album: "Poquita Ropa", year: "2010" },
      { album: "Independiente", year: "2011" },
      { album: "Viaje", year: "2014" },
      { album: "Circo Soledad", year: "2017" },
      { album: "Blanco", year: "2020" },
      { album: "Negro", year: "2021" },
    ],
  },
  {
    name: "Gaby Moreno",
    albums: [
      { album: "Still the Unknown", year: "2008" },
      { album: "Illustrated Songs", year: "2012" },
      { album: "Postales", year: "2012" },
      { album: "Ilusión", year: "2016" },
      { album: "¡Spangled!", year: "2019" },
      { album: "Alegoría", year: "2022" },
    ],
  },
];

/** Ranks fans give, as the old clients sent them. */
export const RANKS = ["1", "2", "3", "4", "5"] as const;
