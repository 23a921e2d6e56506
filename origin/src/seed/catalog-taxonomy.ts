/** Categories of an Indian fashion-and-lifestyle store, with brands and price bands in rupees. */
export const TAXONOMY = [
  {
    id: "women-kurtas",
    brands: ["Anokhi Rang", "Libas Loom", "Biba Threads", "Jaipur Block"],
    price: [499, 3499],
  },
  {
    id: "sarees",
    brands: ["Kanchi Weaves", "Banaras House", "Mysore Silk Co", "Chanderi Craft"],
    price: [899, 14999],
  },
  {
    id: "men-tshirts",
    brands: ["Roadster Co", "HRX Active", "Urban Tee", "Wrogn Street"],
    price: [299, 1499],
  },
  {
    id: "jeans",
    brands: ["Denim Dept", "Flying Mach", "Indigo Nation", "Levi Street"],
    price: [799, 3999],
  },
  {
    id: "kids-wear",
    brands: ["Tiny Tots", "Hopscotch Kids", "Little Kangaroo", "Babyhug Basics"],
    price: [249, 1999],
  },
  {
    id: "sneakers",
    brands: ["Stride Lab", "Campus Run", "Sparx Move", "Red Tape Sport"],
    price: [999, 8999],
  },
  {
    id: "watches",
    brands: ["Titan Edge", "Fastrack Pulse", "Sonata Classic", "Timex Field"],
    price: [799, 19999],
  },
  {
    id: "jewellery",
    brands: ["Tanishq Mia", "Zaveri Pearls", "Voylla Stones", "Kushal Gold"],
    price: [299, 24999],
  },
  {
    id: "backpacks",
    brands: ["Wildcraft Trail", "Skybags Go", "American Tourister Lite", "Safari Pack"],
    price: [599, 4499],
  },
  {
    id: "beauty-skincare",
    brands: ["Mamaearth Glow", "Lakme Studio", "Plum Botanics", "Minimalist Labs"],
    price: [149, 1999],
  },
  {
    id: "smartphones",
    brands: ["Nova Mobile", "Redmi Note", "Realme Narzo", "Lava Agni"],
    price: [6999, 49999],
  },
  {
    id: "headphones",
    brands: ["boAt Rockerz", "Noise Buds", "JBL Tune", "Sony Bass"],
    price: [499, 14999],
  },
  {
    id: "laptops",
    brands: ["Vostro Work", "IdeaPad Slim", "Aspire Lite", "Vivobook Go"],
    price: [24999, 89999],
  },
  {
    id: "kitchen-appliances",
    brands: ["Prestige Cook", "Bajaj Home", "Butterfly Kitchen", "Pigeon Smart"],
    price: [699, 9999],
  },
  {
    id: "home-decor",
    brands: ["Home Centre", "Chumbak Living", "Urban Ladder Mini", "Ikea Nest"],
    price: [199, 6999],
  },
  {
    id: "bedsheets",
    brands: ["Bombay Dyeing", "Spaces Home", "Raymond Linen", "Story@Home"],
    price: [399, 2999],
  },
  {
    id: "sports-fitness",
    brands: ["Nivia Pro", "Cosco Play", "Decathlon Kipsta", "Boldfit Gym"],
    price: [199, 7999],
  },
  {
    id: "toys",
    brands: ["Funskool", "Hamleys Junior", "Mattel Play", "Lego Build"],
    price: [199, 5999],
  },
  {
    id: "books",
    brands: ["Penguin India", "HarperCollins IN", "Rupa Publications", "Westland Books"],
    price: [99, 999],
  },
  {
    id: "grocery-snacks",
    brands: ["Haldiram Bites", "Bikaji Namkeen", "Tata Sampann", "Paper Boat"],
    price: [49, 699],
  },
] as const;
